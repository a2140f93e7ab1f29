"""The one way out: every figure that leaves the system is read by the `service` for a viewer and
published by `disclosure` with the viewer's policy; `access` says who the viewer is (users,
sessions, tokens) and keeps the audit log."""
