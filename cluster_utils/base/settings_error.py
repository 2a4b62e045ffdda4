"""The error raised for invalid settings, overrides and settings files."""


class SettingsError(ValueError):
    """Anything wrong with settings: a file, an import, a dynamic value or an override."""
