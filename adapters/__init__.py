"""Chat platform adapters: each translates one platform's payloads to the core and back."""
