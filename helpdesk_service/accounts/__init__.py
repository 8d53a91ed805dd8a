"""Staff accounts (agent, editor, admin), their passwords (argon2id) and login sessions.

:mod:`.store` keeps accounts and server-side sessions in ``<data_dir>/accounts.db``;
:mod:`helpdesk_service.auth` turns a session cookie into the signed-in account for the routes.
"""

from helpdesk_service.accounts.store import (ROLES, Account, AccountError, AccountExists, AccountNotFound,
                                             AccountStore, InvalidAccount, Session)

__all__ = ["ROLES", "Account", "AccountError", "AccountExists", "AccountNotFound", "AccountStore",
           "InvalidAccount", "Session"]
