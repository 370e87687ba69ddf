package dev.uniforget.io;

/**
 * Where a long stage reports its progress: a named phase with a total, then the count done. The
 * stages call it; the CLI draws it as progress bars; tests and library users may ignore it.
 */
public interface ProgressSink {
  ProgressSink NONE = new ProgressSink() {
    @Override
    public void phase(String name, long total) {}

    @Override
    public void step(long done) {}
  };

  /** A new phase of {@code total} units begins (the previous one, if any, is over). */
  void phase(String name, long total);

  /** {@code done} units of the current phase are done. */
  void step(long done);

  /** A free-form note on the current phase (e.g. the loss). */
  default void note(String text) {}

  /** The current phase is over (called also when it fails). */
  default void end() {}

  /** A line worth showing on its own: what is about to run, a warning. */
  default void message(String line) {}
}
