package dev.uniforget.lab;

import dev.uniforget.io.Jsons;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Ground truth of a memorization lab ({@code manifest.json}): which training files and captions
 * are verbatim targets, which files carry which motif, and the prompt sets. For scoring only:
 * the forget step never reads it. Schema "uniforget-lab/1" (documented in README).
 */
public final class LabManifest {
  public static final String FORMAT = "uniforget-lab/1";
  public static final String FILE = "manifest.json";

  public String format = FORMAT;
  public int imageSize;
  public int channels;
  public List<String> classes = new ArrayList<>();
  public List<VerbatimTarget> verbatimTargets = new ArrayList<>();
  public List<Motif> motifs = new ArrayList<>();
  public Prompts prompts = new Prompts();
  /** How the builder made it (free-form, informational). */
  public java.util.Map<String, Object> builder = new java.util.LinkedHashMap<>();

  /** A training image duplicated under its own invented-name caption. */
  public static final class VerbatimTarget {
    public String fileName;
    public String caption;
    public String className;
    public int duplicates;
  }

  /** A protected concept: a glyph stamped on many images, named in their captions. */
  public static final class Motif {
    public String name;
    public String glyph;
    public int size;
    public List<String> files = new ArrayList<>();
    public List<String> classesSeen = new ArrayList<>();
  }

  /** The prompt sets; neutral prompts never contain an invented name. */
  public static final class Prompts {
    public List<String> neutral = new ArrayList<>();
    public List<String> target = new ArrayList<>();
    public List<ConceptPrompt> concept = new ArrayList<>();
  }

  /** A prompt that names a motif on a garment class. */
  public static final class ConceptPrompt {
    public String text;
    public String motif;
    public String className;
    public boolean seenInTraining;
  }

  public static LabManifest read(Path labDir) throws IOException {
    Path file = labDir.resolve(FILE);
    LabManifest m = Jsons.read(file, LabManifest.class);
    if (!FORMAT.equals(m.format)) {
      throw new IOException(file + ": field 'format': expected \"" + FORMAT + "\", found " + m.format);
    }
    if (m.imageSize <= 0 || (m.channels != 1 && m.channels != 3)) {
      throw new IOException(file + ": fields 'image_size' > 0 and 'channels' 1 or 3 expected, found "
          + m.imageSize + ", " + m.channels);
    }
    for (int i = 0; i < m.verbatimTargets.size(); i++) {
      VerbatimTarget t = m.verbatimTargets.get(i);
      if (t.fileName == null || t.caption == null) {
        throw new IOException(file + ": verbatim_targets[" + i + "] needs 'file_name' and 'caption'");
      }
    }
    for (int i = 0; i < m.motifs.size(); i++) {
      if (m.motifs.get(i).name == null) throw new IOException(file + ": motifs[" + i + "] needs 'name'");
    }
    return m;
  }

  public void write(Path labDir) throws IOException {
    Jsons.write(labDir.resolve(FILE), this);
  }
}
