"""The stack configuration: one typed model, its checks, and the member accounts it targets."""
