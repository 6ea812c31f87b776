"""Win32 and WMI error codes the decisions act on, and the one translation into PlatformError.

Each constant names the Microsoft documentation page that defines it, so the fakes raise what
Windows raises and a reader can check it.
"""

from __future__ import annotations

from typing import Final

from wincloud.errors import PlatformError

# "System Error Codes (0-499)"
ERROR_FILE_NOT_FOUND: Final = 2
ERROR_ACCESS_DENIED: Final = 5
ERROR_INVALID_PARAMETER: Final = 87
# "System Error Codes (1000-1299)"
ERROR_SERVICE_ALREADY_RUNNING: Final = 1056
ERROR_SERVICE_DOES_NOT_EXIST: Final = 1060
ERROR_SERVICE_NOT_ACTIVE: Final = 1062
ERROR_SERVICE_EXISTS: Final = 1073
ERROR_SHUTDOWN_IN_PROGRESS: Final = 1115
ERROR_INVALID_COMPUTERNAME: Final = 1210
ERROR_NOT_ALL_ASSIGNED: Final = 1300
ERROR_PRIVILEGE_NOT_HELD: Final = 1314
# "System Error Codes (1300-1699)"
ERROR_NONE_MAPPED: Final = 1332
ERROR_NO_SUCH_ALIAS: Final = 1376
ERROR_MEMBER_IN_ALIAS: Final = 1378
ERROR_ALIAS_EXISTS: Final = 1379
ERROR_NO_SUCH_MEMBER: Final = 1387
# "Network Management Error Codes" (lmerr.h)
NERR_GroupNotFound: Final = 2220
NERR_UserNotFound: Final = 2221
NERR_GroupExists: Final = 2223
NERR_UserExists: Final = 2224
NERR_PasswordTooShort: Final = 2245
# "WMI Error Constants" (WBEM_E_*), as the HRESULTs COM reports them
WBEM_E_NOT_FOUND: Final = 0x80041002
WBEM_E_INVALID_PARAMETER: Final = 0x80041008
WBEM_E_INVALID_NAMESPACE: Final = 0x8004100E
WBEM_E_INVALID_CLASS: Final = 0x80041010
WBEM_E_INVALID_METHOD: Final = 0x80041055

_TEXT: Final = {
    ERROR_FILE_NOT_FOUND: "the system cannot find the file specified",
    ERROR_ACCESS_DENIED: "access is denied",
    ERROR_INVALID_PARAMETER: "the parameter is incorrect",
    ERROR_SERVICE_DOES_NOT_EXIST: "the specified service does not exist",
    ERROR_SERVICE_EXISTS: "the specified service already exists",
    ERROR_SHUTDOWN_IN_PROGRESS: "a system shutdown is in progress",
    ERROR_INVALID_COMPUTERNAME: "the format of the computer name is invalid",
    ERROR_PRIVILEGE_NOT_HELD: "a required privilege is not held by the client",
    ERROR_NONE_MAPPED: "no mapping between account names and security IDs was done",
    ERROR_NO_SUCH_ALIAS: "the specified local group does not exist",
    ERROR_MEMBER_IN_ALIAS: "the account is already a member of the group",
    ERROR_ALIAS_EXISTS: "the specified local group already exists",
    NERR_GroupNotFound: "the group name could not be found",
    NERR_UserNotFound: "the user name could not be found",
    NERR_GroupExists: "the group already exists",
    NERR_UserExists: "the user account already exists",
    NERR_PasswordTooShort: "the password does not meet the password policy requirements",
    WBEM_E_NOT_FOUND: "WMI object not found",
    WBEM_E_INVALID_CLASS: "WMI class not found",
}


def describe(code: int) -> str:
    return _TEXT.get(code, f"error {code:#x}" if code > 0xFFFF else f"error {code}")


def win32_error(
    operation: str, code: int, *, detail: str = "", subject: str | None = None
) -> PlatformError:
    """The PlatformError for a failed Win32 call; ``detail`` never holds a secret."""
    return PlatformError(
        f"{operation} failed ({describe(code)})",
        operation=operation,
        os_code=code,
        detail=detail or describe(code),
        subject=subject,
    )


def has_code(exc: PlatformError, *codes: int) -> bool:
    return exc.os_code in codes


WBEM_E_ALREADY_EXISTS: Final = 0x80041019
# "Windows activation error codes" (Software Licensing, SL_E_*)
SL_E_INVALID_PRODUCT_KEY: Final = 0xC004F050
SL_E_KMS_UNAVAILABLE: Final = 0xC004F074
SL_E_NO_PRODUCT_KEY: Final = 0xC004F069
