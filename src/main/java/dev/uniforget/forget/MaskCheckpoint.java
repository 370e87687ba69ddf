package dev.uniforget.forget;

import dev.uniforget.io.AtomicFiles;
import dev.uniforget.io.Jsons;
import dev.uniforget.io.Provenance;
import dev.uniforget.nn.AdamW;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The checkpoint of a running mask training, beside its output {@code OUT} as {@code OUT.checkpoint/}
 * (written atomically every {@code every} steps, deleted once OUT is written):
 *
 * <pre>
 *   logits.safetensors      the mask logits after {@code step} steps
 *   optimizer.safetensors   AdamW's moments (its step count in state.json)
 *   state.json              format, steps done, the step log so far
 *   provenance.json         the forget request's provenance: a resume continues only the same request
 * </pre>
 *
 * Every step draws from its own random stream seeded by (seed, step) and the neutral pool is rebuilt
 * from its seeds, so a run resumed from a checkpoint ends with the same masks as an uninterrupted one.
 */
public final class MaskCheckpoint {
  public static final String FORMAT = "uniforget-mask-checkpoint/1";
  public static final String LOGITS = "logits.safetensors";
  public static final String OPTIMIZER = "optimizer.safetensors";
  public static final String STATE = "state.json";

  /** state.json. */
  public static final class State {
    public String format = FORMAT;
    public int step;
    public int adamStep;
    public List<MaskTrainer.StepLog> log = new ArrayList<>();
  }

  private final Path dir;
  private final int every;
  private final Provenance provenance;

  public MaskCheckpoint(Path dir, int every, Provenance provenance) {
    if (every < 1) throw new IllegalArgumentException("--checkpoint-every: expected >= 1, found " + every);
    this.dir = dir;
    this.every = every;
    this.provenance = provenance;
  }

  /** The checkpoint directory of forget output {@code out}. */
  public static Path dirFor(Path out) {
    Path abs = out.toAbsolutePath().normalize();
    return abs.resolveSibling(abs.getFileName() + ".checkpoint");
  }

  public Path dir() {
    return dir;
  }

  public int every() {
    return every;
  }

  /** Whether a checkpoint is there (after settling what a kill during its last write left). */
  public boolean exists() throws IOException {
    return AtomicFiles.settledDirectory(dir);
  }

  /**
   * Loads the checkpoint into {@code logits} and {@code adam}, fills {@code log}; returns the steps
   * done. A checkpoint of another request is an error naming the differences.
   */
  public int restore(MaskLogits logits, AdamW adam, List<MaskTrainer.StepLog> log) throws IOException {
    Provenance.requireReusable(dir, provenance);
    State st = Jsons.readInput(dir.resolve(STATE), State.class);
    if (!FORMAT.equals(st.format)) throw new IOException(dir.resolve(STATE) + ": format '" + st.format + "', expected '" + FORMAT + "'");
    if (st.step < 0 || st.log.size() != st.step) {
      throw new IOException(dir.resolve(STATE) + ": step " + st.step + " with " + st.log.size() + " log lines (expected one per step)");
    }
    logits.store().loadValues(dir.resolve(LOGITS));
    adam.state().loadValues(dir.resolve(OPTIMIZER));
    adam.setStepCount(st.adamStep);
    log.addAll(st.log);
    return st.step;
  }

  /** Writes the state after {@code step} steps (atomically, replacing the previous checkpoint). */
  public void save(int step, MaskLogits logits, AdamW adam, List<MaskTrainer.StepLog> log) {
    State st = new State();
    st.step = step;
    st.adamStep = adam.stepCount();
    st.log = new ArrayList<>(log);
    try {
      AtomicFiles.writeDirectoryAtomically(dir, true, tmp -> {
        logits.store().save(tmp.resolve(LOGITS), Map.of("step", Integer.toString(step)));
        adam.state().save(tmp.resolve(OPTIMIZER), adam.metadata());
        Jsons.MAPPER.writeValue(tmp.resolve(STATE).toFile(), st);
        provenance.write(tmp);
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the mask checkpoint " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Removes the checkpoint (the output it led to is written). */
  public void delete() throws IOException {
    delete(dir);
  }

  /** Removes the checkpoint directory {@code dir} if it is there. */
  public static void delete(Path dir) throws IOException {
    AtomicFiles.deleteRecursively(dir);
  }
}
