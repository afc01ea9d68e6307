"""The compiled parts of derenotes (one extension module, in image/)."""
