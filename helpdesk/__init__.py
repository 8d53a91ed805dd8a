"""Cross-cutting parts of the helpdesk assistant: settings, language detection, CLI, launcher."""
