"""The person: user model, allauth adapter, sign-up and sign-in, password policy, account page."""
