"""Root pytest configuration: load the shared LEKO test plugin for every package."""

pytest_plugins = ["leko_kit.testing"]
