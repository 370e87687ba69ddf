package dev.uniforget.io;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file that does not follow the format; the message names the file and the tensor. */
public class SafetensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;

    public SafetensorsFormatException(Path file, String tensor, String problem) {
        super(format(file, tensor, problem));
        this.file = file;
        this.tensor = tensor;
    }

    public SafetensorsFormatException(Path file, String tensor, String problem, Throwable cause) {
        this(file, tensor, problem);
        initCause(cause);
    }

    /** The offending file. */
    public Path file() {
        return file;
    }

    /** The offending tensor, or null when the problem is not tied to one. */
    public String tensor() {
        return tensor;
    }

    private static String format(Path file, String tensor, String problem) {
        StringBuilder sb = new StringBuilder("safetensors file ").append(file);
        if (tensor != null) {
            sb.append(", tensor '").append(tensor).append('\'');
        }
        return sb.append(": ").append(problem).toString();
    }
}
