"""What leaves the system: files and reports (`export`), the PostGIS publication (`postgis`), the
API and the dashboard (`web`) and the command line (`cli`). Every figure they show is asked of
`publish.service` for a viewer, never read from the store directly."""
