"""The application API: what the commands do, as typed functions over the build file, the state
and the engine. The CLI parses arguments, calls one of these and prints what it returns; nothing
above this layer talks to Docker.
"""
