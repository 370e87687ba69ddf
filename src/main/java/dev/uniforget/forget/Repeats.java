package dev.uniforget.forget;

import dev.uniforget.io.Jsons;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Repeats of a forget run over mask seeds (or of the random control over draws): the directory
 * {@code OUT/} with one forget output per repeat in {@code OUT/seed_<s>/} (or
 * {@code OUT/draw_<s>/}, s the repeat's seed) and {@code OUT/repeats.json}, the {@link Summary}:
 * per report number (deactivated share per kind and whole mask, neutral sample MSE, parameters
 * after) the mean, the sample standard deviation and a 95% Student-t interval over the repeats.
 */
public final class Repeats {
  public static final String FILE = "repeats.json";
  public static final String FORMAT = "uniforget-repeats/1";
  public static final String FORGET = "forget";
  public static final String RANDOM_CONTROL = "random_control";
  public static final double LEVEL = 0.95;

  /** One report number over the repeats. */
  public static final class Stat {
    public int n;
    public double mean;
    /** Sample standard deviation (divisor n - 1); NaN for one value. */
    public double sd;
    /** The t quantile behind the interval: t_{(1 + level) / 2, n - 1}. */
    public double t;
    /** mean -+ t sd / sqrt(n); NaN for one value. */
    public double ciLow;
    public double ciHigh;
    public List<Double> values = new ArrayList<>();
  }

  /** One repeat: its seed and its directory, relative to the repeats directory ("." when there is one). */
  public static final class Run {
    public long seed;
    public String dir;

    public Run() {}

    Run(long seed, String dir) {
      this.seed = seed;
      this.dir = dir;
    }
  }

  /** The content of {@value #FILE}. */
  public static final class Summary {
    public String format = FORMAT;
    /** {@value #FORGET} or {@value #RANDOM_CONTROL}. */
    public String kind;
    public double level = LEVEL;
    public List<Run> runs = new ArrayList<>();
    /**
     * Keyed {@code deactivated_share.<kind>} (and {@code deactivated_share.whole_mask}),
     * {@code neutral_sample_mse}, {@code neutral_sample_mse_after_retrain}, {@code parameters_after};
     * a number is left out when a repeat did not measure it (e.g. the control's sample MSE).
     */
    public Map<String, Stat> stats = new LinkedHashMap<>();

    /** A table a person reads: name, mean, sd, interval (locale-independent numbers). */
    public String summary() {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format(Locale.ROOT, "%s over %d %s (seeds %s)%n", kind, runs.size(),
          runs.size() == 1 ? "run" : "runs", seedList()));
      sb.append(String.format(Locale.ROOT, "%-38s %12s %12s   %s%n", "", "mean", "sd", Math.round(level * 100) + "% t-interval"));
      stats.forEach((k, s) -> sb.append(String.format(Locale.ROOT, "%-38s %12.6g %12.4g   [%.6g, %.6g]%n", k, s.mean, s.sd, s.ciLow, s.ciHigh)));
      return sb.toString();
    }

    private String seedList() {
      List<String> s = new ArrayList<>();
      for (Run r : runs) s.add(Long.toString(r.seed));
      return String.join(", ", s);
    }
  }

  private Repeats() {}

  /** The directory of one repeat: {@code seed_<seed>} for forget runs, {@code draw_<seed>} for control draws. */
  public static String dirName(String kind, long seed) {
    return switch (kind) {
      case FORGET -> "seed_" + seed;
      case RANDOM_CONTROL -> "draw_" + seed;
      default -> throw new IllegalArgumentException("unknown repeat kind " + kind);
    };
  }

  /** Mean, sample standard deviation and the t-interval at {@link #LEVEL} of finite values. */
  public static Stat stat(double[] values) {
    if (values.length == 0) throw new IllegalArgumentException("no values");
    Stat s = new Stat();
    s.n = values.length;
    double sum = 0;
    for (double v : values) {
      if (!Double.isFinite(v)) throw new IllegalArgumentException("non-finite value " + v);
      sum += v;
      s.values.add(v);
    }
    s.mean = sum / s.n;
    if (s.n == 1) {
      s.sd = s.t = s.ciLow = s.ciHigh = Double.NaN;
      return s;
    }
    double ss = 0;
    for (double v : values) ss += (v - s.mean) * (v - s.mean);
    s.sd = Math.sqrt(ss / (s.n - 1));
    s.t = dev.uniforget.stats.SmallSample.tQuantile((1 + LEVEL) / 2, s.n - 1);
    double half = s.t * s.sd / Math.sqrt(s.n);
    s.ciLow = s.mean - half;
    s.ciHigh = s.mean + half;
    return s;
  }

  /** The summary of repeats {@code reports} (in the order of {@code runs}). */
  public static Summary summarize(String kind, List<Run> runs, List<ForgetRun.Report> reports) {
    if (runs.size() != reports.size() || runs.isEmpty()) {
      throw new IllegalArgumentException(runs.size() + " runs but " + reports.size() + " reports");
    }
    Summary out = new Summary();
    out.kind = kind;
    out.runs = new ArrayList<>(runs);
    Map<String, double[]> numbers = new LinkedHashMap<>();
    int n = reports.size();
    for (int i = 0; i < n; i++) {
      ForgetRun.Report r = reports.get(i);
      for (Map.Entry<String, Double> e : r.deactivatedShare.entrySet()) {
        numbers.computeIfAbsent("deactivated_share." + e.getKey(), k -> nans(n))[i] = e.getValue();
      }
      numbers.computeIfAbsent("neutral_sample_mse", k -> nans(n))[i] = r.neutralSampleMse;
      numbers.computeIfAbsent("neutral_sample_mse_after_retrain", k -> nans(n))[i] = r.neutralSampleMseAfterRetrain;
      numbers.computeIfAbsent("parameters_after", k -> nans(n))[i] = r.parametersAfter;
      // 0 = not measured (a report of an older version): left out like NaN.
      numbers.computeIfAbsent("flops_ratio", k -> nans(n))[i] = r.flopsRatio > 0 ? r.flopsRatio : Double.NaN;
      numbers.computeIfAbsent("sampling_speedup", k -> nans(n))[i] = r.speedup > 0 ? r.speedup : Double.NaN;
    }
    numbers.forEach((k, v) -> {
      for (double x : v) if (!Double.isFinite(x)) return;
      out.stats.put(k, stat(v));
    });
    return out;
  }

  private static double[] nans(int n) {
    double[] v = new double[n];
    java.util.Arrays.fill(v, Double.NaN);
    return v;
  }

  /** Writes {@value #FILE} into {@code dir} (a directory being filled inside an atomic write). */
  static void write(Path dir, Summary summary) throws IOException {
    Jsons.MAPPER.writeValue(dir.resolve(FILE).toFile(), summary);
  }

  /** True when {@code dir} is a repeats directory. */
  public static boolean isRepeats(Path dir) {
    return Files.isRegularFile(dir.resolve(FILE));
  }

  /** Reads {@code dir/repeats.json}. */
  public static Summary read(Path dir) throws IOException {
    if (!isRepeats(dir)) throw new IOException(dir + ": not a repeats directory (missing " + FILE + ")");
    Summary s = Jsons.read(dir.resolve(FILE), Summary.class);
    if (!FORMAT.equals(s.format)) throw new IOException(dir.resolve(FILE) + ": format " + s.format + ", expected " + FORMAT);
    return s;
  }
}
