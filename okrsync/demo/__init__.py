"""The first-run demo: a realistic company on the emulator, the whole product, a stream of activity."""
