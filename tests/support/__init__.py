"""Helpers shared by the tests."""

from tests.support.accounts import Accounts

__all__ = ["Accounts"]
