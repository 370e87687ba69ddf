package dev.uniforget.lab;

import dev.uniforget.data.ImageFolder;
import dev.uniforget.io.Jsons;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates a lab and names every problem (file, line, field, what was expected), instead of
 * stopping at the first: the manifest's own fields and references, every line of the training and
 * held-out metadata (JSON, file, decodable image of the right size, label among the classes,
 * concepts among the manifest's), the verbatim targets against the training lines, the prompt
 * files against the manifest, and what the audit needs: held-out images that are not training
 * images, training and held-out images for every concept.
 */
public final class LabCheck {
  /** What was found: problems make the lab unusable; notes are worth knowing. */
  public record Report(Path lab, String format, List<String> problems, List<String> notes, Map<String, Object> counts) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  private LabCheck() {}

  public static Report check(Path dir) {
    List<String> problems = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    Map<String, Object> counts = new LinkedHashMap<>();
    Path manifestFile = dir.resolve(Lab.MANIFEST);
    if (!Files.isDirectory(dir)) {
      problems.add(dir + ": lab directory not found");
      return new Report(dir, null, problems, notes, counts);
    }
    LabManifest m;
    try {
      m = Jsons.read(manifestFile, LabManifest.class); // lenient on nulls: problems() lists each one by field
    } catch (IOException e) {
      problems.add(e.getMessage());
      return new Report(dir, null, problems, notes, counts);
    }
    for (String p : m.problems()) problems.add(manifestFile + ": " + p);
    if (!problems.isEmpty() && (m.imageSize < 8 || m.imageSize > 1024 || (m.channels != 1 && m.channels != 3))) {
      return new Report(dir, m.format, problems, notes, counts); // cannot read images without a valid size
    }
    try {
      m = LabManifest.read(dir); // upgrades v1 motifs
    } catch (IOException e) {
      // already reported above; go on with what was read, nulls read as empty
      tolerateNulls(m);
    }
    Set<String> conceptNames = new HashSet<>(m.conceptNames());
    Set<String> classes = new HashSet<>(m.classes == null ? List.of() : m.classes);

    // Training lines.
    ImageFolder training = loadCollecting(dir, m, problems);
    Map<String, Integer> trainingConcepts = new HashMap<>();
    if (training != null) {
      Lab lab = labOf(dir, m);
      checkLines(training, lab, dir.resolve(ImageFolder.METADATA_FILE), classes, conceptNames, problems, trainingConcepts);
      counts.put("training_lines", training.size());
      counts.put("training_images", training.distinctImages());
      counts.put("training_concept_images", trainingConcepts);
      long labelled = training.entries().stream().filter(e -> lab.classIndex(e) >= 0).count();
      counts.put("training_labelled_lines", labelled);
      if (labelled == 0) notes.add("no training line has a class label: `judge train` needs labels for the quality network");
      // Verbatim targets: the file is listed under its caption, as often as the manifest says.
      Map<String, Integer> linesByFileCaption = new HashMap<>();
      Set<String> files = new HashSet<>();
      for (ImageFolder.Entry e : training.entries()) {
        linesByFileCaption.merge(e.fileName() + "\n" + e.text(), 1, Integer::sum);
        files.add(e.fileName());
      }
      for (int i = 0; i < m.verbatimTargets.size(); i++) {
        LabManifest.VerbatimTarget t = m.verbatimTargets.get(i);
        if (t == null || t.fileName == null) continue;
        String at = manifestFile + ": verbatim_targets[" + i + "]";
        if (!files.contains(t.fileName)) {
          problems.add(at + ".file_name: " + t.fileName + " is not listed in " + ImageFolder.METADATA_FILE);
          continue;
        }
        int n = linesByFileCaption.getOrDefault(t.fileName + "\n" + t.caption, 0);
        if (n != t.duplicates) {
          problems.add(at + ".duplicates: expected the number of training lines with this file and caption (" + n + "), found " + t.duplicates);
        }
      }
      for (String c : m.conceptNames()) {
        if (trainingConcepts.getOrDefault(c, 0) == 0) problems.add(manifestFile + ": concept '" + c + "' is carried by no training image (field 'concepts' of metadata.jsonl lines)");
      }
    }

    // Held-out split.
    if (m.heldout != null) {
      Path hd = dir.resolve(m.heldout).normalize();
      if (!hd.startsWith(dir.normalize())) {
        problems.add(manifestFile + ": field 'heldout': expected a folder inside the lab, found " + m.heldout);
      } else if (!Files.isRegularFile(hd.resolve(ImageFolder.METADATA_FILE))) {
        problems.add(hd.resolve(ImageFolder.METADATA_FILE) + ": held-out metadata file not found (field 'heldout' of " + manifestFile + ")");
      } else {
        ImageFolder held = loadCollecting(hd, m, problems);
        if (held != null) {
          Map<String, Integer> heldConcepts = new HashMap<>();
          checkLines(held, labOf(dir, m), hd.resolve(ImageFolder.METADATA_FILE), classes, conceptNames, problems, heldConcepts);
          counts.put("heldout_images", held.distinctImages());
          counts.put("heldout_concept_images", heldConcepts);
          for (String c : m.conceptNames()) {
            if (heldConcepts.getOrDefault(c, 0) == 0) {
              problems.add(hd.resolve(ImageFolder.METADATA_FILE) + ": no held-out image carries concept '" + c
                  + "' (the concept detector's recall is measured on held-out images)");
            }
          }
          long plain = held.entries().stream().filter(e -> e.concepts().isEmpty()).count();
          if (plain < 10) problems.add(hd.resolve(ImageFolder.METADATA_FILE) + ": expected at least 10 held-out images without concepts, found " + plain);
          if (training != null) {
            int leaks = 0;
            String first = null;
            Set<Key> trainKeys = new HashSet<>();
            for (int i = 0; i < training.size(); i++) trainKeys.add(new Key(training.image(i)));
            for (int i = 0; i < held.size(); i++) {
              if (trainKeys.contains(new Key(held.image(i)))) {
                leaks++;
                if (first == null) first = held.entry(i).fileName() + " (line " + held.entry(i).line() + ")";
              }
            }
            if (leaks > 0) problems.add(hd.resolve(ImageFolder.METADATA_FILE) + ": " + leaks + " held-out image(s) are pixel-identical to a training image, first " + first + "; held-out images must never be trained on");
          }
        }
      }
    } else {
      notes.add("no held-out split (a " + m.format + " lab): `judge train` and `audit` need one");
    }

    // Prompt files agree with the manifest.
    if (m.prompts != null) {
      checkPromptFile(dir, Lab.NEUTRAL_PROMPTS, m.prompts.neutral, problems);
      checkPromptFile(dir, Lab.TARGET_PROMPTS, m.prompts.target, problems);
      checkPromptFile(dir, Lab.CONCEPT_PROMPTS, m.prompts.concept.stream().map(c -> c == null ? null : c.text).toList(), problems);
      counts.put("neutral_prompts", m.prompts.neutral == null ? 0 : m.prompts.neutral.size());
      counts.put("target_prompts", m.prompts.target.size());
      counts.put("concept_prompts", m.prompts.concept.size());
    }
    return new Report(dir, m.format, problems, notes, counts);
  }

  /** The lab as read, even when its manifest has problems (they are reported; the lines are still checked). */
  private static Lab labOf(Path dir, LabManifest m) {
    return Lab.unchecked(dir, m);
  }

  /** Null lists (reported as problems) read as empty, so that the rest of the lab is still checked. */
  private static void tolerateNulls(LabManifest m) {
    if (m.classes == null) m.classes = new ArrayList<>();
    if (m.verbatimTargets == null) m.verbatimTargets = new ArrayList<>();
    if (m.concepts == null) m.concepts = new ArrayList<>();
    if (m.prompts != null) {
      if (m.prompts.neutral == null) m.prompts.neutral = new ArrayList<>();
      if (m.prompts.target == null) m.prompts.target = new ArrayList<>();
      if (m.prompts.concept == null) m.prompts.concept = new ArrayList<>();
    }
  }

  private static ImageFolder loadCollecting(Path dir, LabManifest m, List<String> problems) {
    List<IOException> lineProblems = new ArrayList<>();
    try {
      ImageFolder f = ImageFolder.load(dir, m.imageSize, m.channels, lineProblems);
      lineProblems.forEach(e -> problems.add(e.getMessage()));
      return f;
    } catch (IOException e) {
      lineProblems.forEach(x -> problems.add(x.getMessage()));
      problems.add(e.getMessage());
      return null;
    }
  }

  private static void checkLines(ImageFolder f, Lab lab, Path file, Set<String> classes, Set<String> concepts,
      List<String> problems, Map<String, Integer> conceptCounts) {
    for (ImageFolder.Entry e : f.entries()) {
      if (e.label() != null && !classes.contains(e.label())) {
        problems.add(file + " line " + e.line() + ", field 'label': expected one of the manifest's classes, found '" + e.label() + "'");
      }
      for (String c : e.concepts()) {
        if (!concepts.contains(c)) problems.add(file + " line " + e.line() + ", field 'concepts': '" + c + "' is not a concept of the manifest " + concepts);
      }
      List<String> carried = lab == null ? e.concepts() : lab.concepts(e);
      for (String c : carried) conceptCounts.merge(c, 1, Integer::sum);
    }
  }

  private static void checkPromptFile(Path dir, String name, List<String> expected, List<String> problems) {
    Path file = dir.resolve(name);
    if (!Files.isRegularFile(file)) {
      problems.add(file + ": prompt file not found (expected the manifest's prompts, one per line)");
      return;
    }
    List<String> lines;
    try {
      lines = Arrays.stream(new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\r?\n")).filter(l -> !l.isEmpty()).toList();
    } catch (IOException e) {
      problems.add(file + ": unreadable: " + e.getMessage());
      return;
    }
    if (!lines.equals(expected)) {
      int i = 0;
      while (i < Math.min(lines.size(), expected.size()) && lines.get(i).equals(expected.get(i))) i++;
      problems.add(file + " line " + (i + 1) + ": expected the manifest's prompts in order (" + expected.size() + " prompts), found "
          + lines.size() + " lines that differ from line " + (i + 1));
    }
  }

  /** Pixel content as a hash key. */
  private record Key(float[] px) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && Arrays.equals(px, k.px);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(px);
    }
  }
}
