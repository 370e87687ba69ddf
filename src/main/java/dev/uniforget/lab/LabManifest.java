package dev.uniforget.lab;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.uniforget.io.Jsons;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Ground truth of a memorization lab ({@code manifest.json}): which training files and captions
 * are verbatim targets, which protected concepts exist, where the held-out split is, and the
 * prompt sets. For scoring only: the forget step never reads it. Which image carries which class
 * and which concept is recorded per image in {@code metadata.jsonl} (fields {@code label} and
 * {@code concepts}), not here. Schema "uniforget-lab/2" (documented in README); "uniforget-lab/1"
 * files are read too (their motifs become stamped concepts; they have no held-out split).
 *
 * <p>This class is the file's schema only; {@link Lab} is the lab directory (and checks that the
 * manifest agrees with the images), {@link LabCheck} names every problem of a lab.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class LabManifest {
  public static final String FORMAT = "uniforget-lab/2";
  public static final String FORMAT_V1 = "uniforget-lab/1";

  public String format = FORMAT;
  public int imageSize;
  public int channels;
  /** The class labels images may carry (may be empty when the lab has no labels). */
  public List<String> classes = new ArrayList<>();
  /** Folder of the held-out split, relative to the lab (v2: required; v1: absent). */
  public String heldout;
  public List<VerbatimTarget> verbatimTargets = new ArrayList<>();
  /** The protected concepts (v2). */
  public List<Concept> concepts = new ArrayList<>();
  /** v1 only: stamped motifs, with their files; read into {@link #concepts}. */
  public List<Motif> motifs;
  public Prompts prompts = new Prompts();
  /** How the builder made it (free-form, informational). */
  public Map<String, Object> builder = new LinkedHashMap<>();

  /** A training image duplicated under its own invented-name caption. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static final class VerbatimTarget {
    public String fileName;
    public String caption;
    public String className;
    public int duplicates;
  }

  /**
   * A protected concept, learnt from the training images whose {@code concepts} list names it.
   * {@code kind}: "stamp" (a mark put on images, e.g. a logo badge) or "data" (a property of the
   * images themselves, e.g. an art style); informational. {@code classesSeen}: the classes it
   * appears on in training (empty = unknown or all).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static final class Concept {
    public String name;
    public String kind = "stamp";
    public String description;
    public List<String> classesSeen = new ArrayList<>();
  }

  /** v1: a glyph stamped on many images, named in their captions. */
  public static final class Motif {
    public String name;
    public String glyph;
    public int size;
    public List<String> files = new ArrayList<>();
    public List<String> classesSeen = new ArrayList<>();
  }

  /** The prompt sets; neutral prompts never name a target or a concept. */
  public static final class Prompts {
    public List<String> neutral = new ArrayList<>();
    public List<String> target = new ArrayList<>();
    public List<ConceptPrompt> concept = new ArrayList<>();
  }

  /** A prompt that names a protected concept (optionally on a class). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static final class ConceptPrompt {
    public String text;
    @JsonAlias("motif")
    public String concept;
    public String className;
    public boolean seenInTraining = true;
  }

  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isV1() {
    return FORMAT_V1.equals(format);
  }

  /** The concept names in manifest order. */
  public List<String> conceptNames() {
    return concepts == null ? List.of() : concepts.stream().filter(c -> c != null && c.name != null).map(c -> c.name).toList();
  }

  /**
   * Reads {@code labDir/manifest.json} (v1 or v2) and checks the manifest on its own (fields,
   * names, references between its parts); {@link LabCheck} also checks it against the images.
   */
  public static LabManifest read(Path labDir) throws IOException {
    Path file = labDir.resolve(Lab.MANIFEST);
    LabManifest m = Jsons.readInput(file, LabManifest.class);
    List<String> problems = m.problems();
    if (!problems.isEmpty()) throw new IOException(file + ": " + problems.get(0));
    if (m.isV1()) m.upgradeV1();
    return m;
  }

  /** v1's motifs become stamped concepts (their files are the images that carry them). */
  private void upgradeV1() {
    if (motifs == null) return;
    for (Motif mo : motifs) {
      Concept c = new Concept();
      c.name = mo.name;
      c.kind = "stamp";
      c.description = mo.glyph + " badge of " + mo.size + " px (uniforget-lab/1 motif)";
      c.classesSeen = new ArrayList<>(mo.classesSeen);
      concepts.add(c);
    }
  }

  /**
   * Every problem of the manifest on its own, as "field: expected ..., found ..." (empty when
   * fine): format, sizes, unique names, targets, concepts, prompts and their references.
   */
  public List<String> problems() {
    List<String> p = new ArrayList<>();
    if (!FORMAT.equals(format) && !FORMAT_V1.equals(format)) {
      p.add("field 'format': expected \"" + FORMAT + "\" or \"" + FORMAT_V1 + "\", found " + format);
      return p;
    }
    if (imageSize < 8 || imageSize > 1024) p.add("field 'image_size': expected 8..1024, found " + imageSize);
    if (channels != 1 && channels != 3) p.add("field 'channels': expected 1 or 3, found " + channels);
    if (classes == null) {
      p.add("field 'classes': expected a list (may be empty), found null");
      classes = new ArrayList<>();
    }
    checkNames(p, "classes", classes);
    if (!isV1()) {
      if (heldout == null || heldout.isBlank()) p.add("field 'heldout': expected the held-out folder (relative to the lab), found " + heldout);
      if (motifs != null) p.add("field 'motifs': a uniforget-lab/1 field; uniforget-lab/2 lists 'concepts' and marks images in metadata.jsonl");
    } else if (concepts != null && !concepts.isEmpty()) {
      p.add("field 'concepts': a uniforget-lab/2 field; uniforget-lab/1 has 'motifs'");
    }
    if (verbatimTargets == null) {
      p.add("field 'verbatim_targets': expected a list, found null");
      verbatimTargets = new ArrayList<>();
    }
    for (int i = 0; i < verbatimTargets.size(); i++) {
      VerbatimTarget t = verbatimTargets.get(i);
      String at = "verbatim_targets[" + i + "]";
      if (t == null) {
        p.add(at + ": expected an object, found null");
        continue;
      }
      if (blank(t.fileName)) p.add(at + ".file_name: expected a file of the training set, found " + t.fileName);
      if (blank(t.caption)) p.add(at + ".caption: expected the target's caption, found " + t.caption);
      if (t.className != null && !classes.contains(t.className)) p.add(at + ".class_name: expected one of 'classes', found " + t.className);
      if (t.duplicates < 1) p.add(at + ".duplicates: expected >= 1, found " + t.duplicates);
    }
    List<String> names = new ArrayList<>();
    if (isV1() && motifs != null) {
      for (int i = 0; i < motifs.size(); i++) {
        Motif mo = motifs.get(i);
        if (mo == null || blank(mo.name)) p.add("motifs[" + i + "].name: expected a name, found " + (mo == null ? null : mo.name));
        else names.add(mo.name);
      }
    } else if (concepts != null) {
      for (int i = 0; i < concepts.size(); i++) {
        Concept c = concepts.get(i);
        String at = "concepts[" + i + "]";
        if (c == null) {
          p.add(at + ": expected an object, found null");
          continue;
        }
        if (blank(c.name)) p.add(at + ".name: expected a name, found " + c.name);
        else names.add(c.name);
        if (!"stamp".equals(c.kind) && !"data".equals(c.kind)) p.add(at + ".kind: expected \"stamp\" or \"data\", found " + c.kind);
        if (c.classesSeen == null) c.classesSeen = new ArrayList<>();
        for (String cl : c.classesSeen) if (!classes.contains(cl)) p.add(at + ".classes_seen: '" + cl + "' is not one of 'classes'");
      }
    } else {
      p.add("field 'concepts': expected a list, found null");
      concepts = new ArrayList<>();
    }
    checkNames(p, isV1() ? "motifs" : "concepts", names);
    if (prompts == null) {
      p.add("field 'prompts': expected {neutral, target, concept}, found null");
      return p;
    }
    if (prompts.neutral == null || prompts.neutral.isEmpty()) p.add("prompts.neutral: expected at least one prompt");
    else for (int i = 0; i < prompts.neutral.size(); i++) if (blank(prompts.neutral.get(i))) p.add("prompts.neutral[" + i + "]: expected a prompt, found " + prompts.neutral.get(i));
    if (prompts.target == null) prompts.target = new ArrayList<>();
    if (prompts.concept == null) prompts.concept = new ArrayList<>();
    List<String> captions = verbatimTargets.stream().filter(t -> t != null).map(t -> t.caption).toList();
    for (int i = 0; i < prompts.target.size(); i++) {
      String t = prompts.target.get(i);
      if (!captions.contains(t)) p.add("prompts.target[" + i + "]: '" + t + "' is not the caption of any verbatim target");
    }
    for (int i = 0; i < prompts.concept.size(); i++) {
      ConceptPrompt c = prompts.concept.get(i);
      String at = "prompts.concept[" + i + "]";
      if (c == null || blank(c.text)) {
        p.add(at + ".text: expected a prompt");
        continue;
      }
      if (!names.contains(c.concept)) p.add(at + ".concept: expected one of " + names + ", found " + c.concept);
      if (c.className != null && !classes.contains(c.className)) p.add(at + ".class_name: expected one of 'classes', found " + c.className);
    }
    if (prompts.neutral != null) {
      for (String n : prompts.neutral) {
        if (captions.contains(n)) p.add("prompts.neutral: '" + n + "' is a verbatim target's caption (neutral prompts must not name memorized content)");
        for (String name : names) {
          if (n != null && (" " + n + " ").contains(" " + name + " ")) p.add("prompts.neutral: '" + n + "' names the concept '" + name + "'");
        }
      }
    }
    return p;
  }

  private static void checkNames(List<String> p, String field, List<String> names) {
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      if (blank(n)) p.add("field '" + field + "'[" + i + "]: expected a non-empty name, found " + n);
      else if (seen.contains(n)) p.add("field '" + field + "'[" + i + "]: '" + n + "' is listed twice");
      else seen.add(n);
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  public void write(Path labDir) throws IOException {
    Jsons.write(labDir.resolve(Lab.MANIFEST), this);
  }
}
