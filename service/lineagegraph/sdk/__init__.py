"""The SDK that training code imports: client, background sender, disk spool, provenance."""
