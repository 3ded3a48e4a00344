"""Pure rendering: model and state in, `File` objects out; `files.write_files` is the one writer."""
