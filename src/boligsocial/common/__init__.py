"""What every room uses: one exception tree (`errors`), problems as data (`problems`), files
written private and kept safely (`files`) and progress reports of long work (`progress`)."""
