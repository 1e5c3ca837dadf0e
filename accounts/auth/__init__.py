"""Django's and allauth's plug-in points, filled in by the portal: the allauth adapter, the
sign-in stages, the account-ID backend, the password hasher, the sessions list and admin's
access check. Each hands the decision to accounts.rules."""
