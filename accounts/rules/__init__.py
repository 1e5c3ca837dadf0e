"""The one home of each rule of the account, called by every door (pages, device API,
admin, and every door to come): who may sign in and act, checking a second factor,
re-authentication, trusted browsers, sign-in limits, the password policy."""
