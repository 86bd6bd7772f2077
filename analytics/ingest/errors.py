"""The one error an upload raises when a file cannot be ingested at all."""


class IngestError(Exception):
    """A file that cannot be ingested: the message is one clear line for the user (line breaks become spaces)."""

    def __init__(self, message: object = ""):
        super().__init__(" ".join(str(message).splitlines()))
