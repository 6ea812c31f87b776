"""Windows cloud images from Linux: spec, answer files and media, QEMU build, offline customize,
inspect/validate and publish to Glance (``wincloud image``)."""
