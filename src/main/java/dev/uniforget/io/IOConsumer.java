package dev.uniforget.io;

import java.io.IOException;

/** A consumer that may throw {@link IOException}. */
@FunctionalInterface
public interface IOConsumer<T> {
    void accept(T t) throws IOException;
}
