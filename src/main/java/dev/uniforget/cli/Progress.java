package dev.uniforget.cli;

import dev.uniforget.io.ProgressSink;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress bars for long loops (on stderr, refreshed at most once a second). */
final class Progress {
  private Progress() {}

  static ProgressBar bar(String task, long max, String unit) {
    return new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(max)
        .setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis(1000)
        .setUnit(" " + unit, 1)
        .showSpeed()
        .continuousUpdate()
        .build();
  }

  /** A stage's progress as one bar per phase; close it when the stage is done. */
  static Bars bars() {
    return new Bars();
  }

  static class Bars implements ProgressSink, AutoCloseable {
    private ProgressBar bar;

    @Override
    public void phase(String name, long total) {
      end();
      bar = bar(name, total, "");
    }

    @Override
    public void step(long done) {
      if (bar != null) bar.stepTo(done);
    }

    @Override
    public void note(String text) {
      if (bar != null) bar.setExtraMessage(text);
    }

    @Override
    public void end() {
      if (bar != null) bar.close();
      bar = null;
    }

    @Override
    public void message(String line) {
      System.err.println(line);
    }

    @Override
    public void close() {
      end();
    }
  }
}
