"""Stage logic of the live pipeline that is not a model: tracking on the node, ordered forwarding."""
