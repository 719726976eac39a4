"""The networks: MLPs and CNNs, the shipped pretrained backbones (hash-checked), regularizers."""
