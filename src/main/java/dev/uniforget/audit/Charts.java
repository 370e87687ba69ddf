package dev.uniforget.audit;

import dev.uniforget.io.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG charts for reports (XChart, headless), written atomically. */
public final class Charts {
  static {
    System.setProperty("java.awt.headless", "true");
  }

  private Charts() {}

  /** Overlaid histograms (share of each series per bin) of several score distributions. */
  public static void histograms(Path png, String title, String xLabel, Map<String, double[]> series, int bins)
      throws IOException {
    double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
    for (double[] v : series.values()) for (double x : v) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    if (lo == Double.MAX_VALUE) throw new IllegalArgumentException("no values to plot in " + title);
    if (hi <= lo) hi = lo + 1e-9;
    XYChart chart = base(title, xLabel, "share");
    double width = (hi - lo) / bins;
    for (Map.Entry<String, double[]> e : series.entrySet()) {
      double[] counts = new double[bins];
      for (double x : e.getValue()) counts[Math.min(bins - 1, (int) ((x - lo) / width))]++;
      double[] xs = new double[2 * bins], ys = new double[2 * bins];
      for (int b = 0; b < bins; b++) { // a step outline
        xs[2 * b] = lo + b * width;
        xs[2 * b + 1] = lo + (b + 1) * width;
        ys[2 * b] = ys[2 * b + 1] = counts[b] / Math.max(1, e.getValue().length);
      }
      XYSeries s = chart.addSeries(e.getKey() + " (n=" + e.getValue().length + ")", xs, ys);
      s.setMarker(SeriesMarkers.NONE);
    }
    save(chart, png);
  }

  /** Lines (e.g. a ROC curve or a sweep); {@code logX} for a log-scaled x axis. */
  public static void lines(Path png, String title, String xLabel, String yLabel, Map<String, double[][]> series,
      boolean logX) throws IOException {
    XYChart chart = base(title, xLabel, yLabel);
    chart.getStyler().setXAxisLogarithmic(logX);
    for (Map.Entry<String, double[][]> e : series.entrySet()) {
      chart.addSeries(e.getKey(), e.getValue()[0], e.getValue()[1]);
    }
    save(chart, png);
  }

  private static XYChart base(String title, String x, String y) {
    XYChart chart = new XYChartBuilder().width(560).height(380).title(title).xAxisTitle(x).yAxisTitle(y).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    chart.getStyler().setXAxisDecimalPattern("#0.###");
    chart.getStyler().setYAxisDecimalPattern("#0.###");
    return chart;
  }

  private static void save(Chart<?, ?> chart, Path png) throws IOException {
    AtomicFiles.writeAtomically(png, tmp -> {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
      }
    });
  }
}
