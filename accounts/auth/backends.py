"""Sign-in by the public account ID (allauth's backend handles phone and email)."""

from django.contrib.auth.backends import ModelBackend

from accounts.auth.adapter import named_in_request
from accounts.models import User


class AccountIdBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        # The portal's sign-in form passes `account_id`; Django admin's passes `username`.
        account_id = kwargs.get("account_id") or username
        if not account_id or not password:
            return None
        named = named_in_request(request, account_id=account_id)
        if named is None:
            user = User.objects.filter(account_id=account_id).first()
        else:
            user = next((user for user in named if user.account_id == account_id), None)
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
