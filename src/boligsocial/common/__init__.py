"""What every room uses: one exception tree (`errors`), problems as data (`problems`), files
written private and kept safely (`files`), configuration files as typed models with every problem
reported at once (`config`) and progress reports of long work (`progress`)."""
