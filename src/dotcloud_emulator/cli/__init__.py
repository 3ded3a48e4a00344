"""The command line: parses argv, calls one function per command, prints."""
