"""Member education: programmes, courses and their sessions, completions by the course's rule,
self-declared completions under review, and each person's status per course."""
