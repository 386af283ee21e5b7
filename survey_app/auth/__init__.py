"""Staff accounts: login with throttling and lockout, logout, password change."""
