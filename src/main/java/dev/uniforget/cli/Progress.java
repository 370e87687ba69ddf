package dev.uniforget.cli;

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
}
