package dev.uniforget.baselines;

import dev.uniforget.io.AtomicFiles;
import dev.uniforget.io.Jsons;
import dev.uniforget.io.Provenance;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The output directory of a baseline that edits a model (ConceptPrune/Wanda, NeMo, the
 * smallest-magnitude control, ...), the one place that knows its file names. Written as one
 * directory, atomically:
 *
 * <pre>
 *   model/            the edited model (a model directory; the audit reads it like any other)
 *   report.json       {@link Report}
 *   provenance.json   the model's hash, the prompts' hash, every option, the code version
 * </pre>
 */
public final class BaselineRun {
  public static final String MODEL = "model";
  public static final String REPORT = "report.json";

  private BaselineRun() {}

  /** What a baseline did, in numbers. */
  public static final class Report {
    /** The method, e.g. "conceptprune". */
    public String method;
    /** What the method was told: "memorized prompts (N)" for the targeted methods, "neutral prompts" for UniForget. */
    public String setting;
    public int prompts;
    /** Weights set to zero, by parameter name, and in all. */
    public Map<String, Integer> zeroedWeights = new LinkedHashMap<>();
    public long zeroedWeightsTotal;
    /** The share of the weights of the edited matrices that were zeroed. */
    public double zeroedShare;
    /** Seconds spent finding what to edit (the localisation). */
    public double localisationSeconds;
    /** Method-specific settings and findings. */
    public Map<String, Object> details = new LinkedHashMap<>();
  }

  public static Path model(Path dir) {
    return dir.resolve(MODEL);
  }

  public static Report readReport(Path dir) throws IOException {
    if (!Files.isRegularFile(dir.resolve(REPORT))) throw new IOException(dir + ": not a baseline output (missing " + REPORT + ")");
    return Jsons.read(dir.resolve(REPORT), Report.class);
  }

  /** Makes an output (a method's run). */
  public interface Maker {
    Report run() throws IOException;
  }

  /**
   * The output in {@code dir} when its provenance matches {@code expected} (else an error naming
   * the differences), or {@code maker}'s new one when there is none. Returns its report.
   */
  public static Report reuseOrRun(Path dir, Provenance expected, Maker maker) throws IOException {
    if (AtomicFiles.settledDirectory(dir)) {
      Provenance.requireReusable(dir, expected);
      return readReport(dir);
    }
    return maker.run();
  }

  /** Writes the edited model, the report and the provenance into {@code out} (which must not exist). */
  public static void write(Path out, FlowModel edited, Report report, Provenance provenance) throws IOException {
    AtomicFiles.writeDirectoryAtomically(out, false, tmp -> {
      ModelDir.save(edited, tmp.resolve(MODEL), false, Map.of("baseline", report.method));
      Jsons.MAPPER.writeValue(tmp.resolve(REPORT).toFile(), report);
      provenance.write(tmp);
    });
  }
}
