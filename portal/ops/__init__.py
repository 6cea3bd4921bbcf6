"""Operations: queue lengths, failed jobs (with retry), periodic job runs, index vs database."""
