package dev.uniforget.audit;

import ai.djl.ndarray.NDManager;
import dev.uniforget.audit.judge.Instruments;
import dev.uniforget.io.ProgressSink;
import dev.uniforget.io.Provenance;
import dev.uniforget.lab.Lab;
import dev.uniforget.lab.LabManifest;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.sampling.EulerSampler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The audit stage's entry point, for the CLI, sweeps, the demo and library users: loads a model,
 * a lab and its instruments, runs {@link Audit}, writes the audit directory ({@link AuditReport}:
 * metrics.json, report.html, charts) with a {@code provenance.json} that records what made it (the
 * content hashes of model, lab and instruments, the options, the code version).
 */
public final class AuditRun {
  /** What to audit and how. */
  public static final class Request {
    public Path model;
    public Path lab;
    public Path instruments;
    public Path out;
    /** Another audit, shown side by side (may be null). */
    public AuditMetrics baseline;
    /** Prompt sets instead of the manifest's (null = the manifest's). */
    public List<String> neutral;
    public List<String> targets;
    public Audit.Options options = new Audit.Options();
    /** Replace an existing output directory. */
    public boolean replace;
  }

  private AuditRun() {}

  /** Audits and writes {@code r.out}; returns the metrics. */
  public static AuditMetrics run(Request r, ProgressSink progress) throws IOException {
    try (dev.uniforget.io.OutputLock lock = dev.uniforget.io.OutputLock.acquire(r.out)) {
      return runLocked(r, progress);
    }
  }

  private static AuditMetrics runLocked(Request r, ProgressSink progress) throws IOException {
    if (Files.exists(r.out) && !r.replace) throw new IllegalArgumentException("--out " + r.out + " already exists (use --force to replace it)");
    Provenance prov = provenance(r);
    Lab lab = Lab.open(r.lab);
    LabManifest m = lab.manifest();
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = ModelDir.load(r.model, root);
        Instruments inst = Instruments.load(r.instruments, root)) {
      Audit.Options o = r.options.copy(); // the request is never changed (its provenance must stay the same)
      if (o.settings == null) o.settings = new EulerSampler.Settings(model.config().sampler.steps, model.config().sampler.guidance);
      Audit.PromptSets sets = new Audit.PromptSets(r.neutral != null ? r.neutral : m.prompts.neutral,
          r.targets != null ? r.targets : m.prompts.target, m.prompts.concept);
      Audit.Result res = Audit.run(model, lab, inst, sets, o, root, progress);
      res.metrics().model = r.model.toString();
      res.metrics().lab = r.lab.toString();
      res.metrics().instruments = r.instruments.toString();
      AuditReport.write(r.out, res, r.baseline, m.imageSize, r.replace, prov::write);
      return res.metrics();
    }
  }

  /**
   * The audit in {@code r.out} when it exists and was made by the same inputs, options and code;
   * else runs it. An existing directory made by something else is an error naming the differences.
   */
  public static AuditMetrics reuseOrRun(Request r, ProgressSink progress) throws IOException {
    if (dev.uniforget.io.AtomicFiles.settledDirectory(r.out)) {
      Provenance.requireReusable(r.out, provenance(r));
      return AuditReport.readMetrics(r.out);
    }
    return run(r, progress);
  }

  /**
   * Whether {@code r.out} already holds a complete audit made by the same inputs, options and code
   * (e.g. a run killed after its output was written but before it exited): rerunning the same
   * command then reuses it instead of refusing the directory.
   */
  public static boolean alreadyDone(Request r) throws IOException {
    return dev.uniforget.io.AtomicFiles.settledDirectory(r.out) && provenance(r).matches(r.out);
  }

  /** What makes an audit: inputs by content hash, and the options that change its numbers. */
  public static Provenance provenance(Request r) throws IOException {
    Audit.Options o = r.options;
    Provenance p = Provenance.of("audit").input("model", r.model).input("lab", r.lab).input("instruments", r.instruments)
        .option("seeds", o.seeds).option("fid_images", o.fidImages).option("real_images", o.realImages)
        .option("calibration_positives", o.calibrationPositives).option("negative_percentile", o.negativePercentile)
        .option("resamples", o.resamples).option("seed", o.seed)
        .option("neutral", r.neutral == null ? "manifest" : r.neutral).option("targets", r.targets == null ? "manifest" : r.targets)
        .option("sampler", o.settings == null ? "model default" : o.settings.steps() + " steps, guidance " + o.settings.guidance());
    if (o.promptEdit != null) p = p.option("mitigation", o.promptEdit.describe());
    return p;
  }
}
