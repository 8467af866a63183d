"""The front door: settings, the composition root and the commands, which wire the core to the
chat platforms and the stores. The rest of `bot/` never imports this package, `adapters` or `storage`."""
