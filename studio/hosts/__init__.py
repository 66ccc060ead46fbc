"""Model hosts: server processes that run one GPU model each, outside the studio's process."""
