"""The extension module video (video.pyx and the topic files it includes) and its stubs."""
