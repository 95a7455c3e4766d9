"""One reader per publisher format: each turns official files into a SourceResult."""
