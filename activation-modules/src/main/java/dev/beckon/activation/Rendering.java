package dev.beckon.activation;

import java.util.List;
import java.util.Optional;

/** Everything a module writes for one instance, in a fixed order: the input of plans, diffs and content hashes. */
public record Rendering(List<RenderedFile> files) {
    public Rendering {
        files = List.copyOf(files);
    }

    /** The file of that name, if the module writes one. */
    public Optional<RenderedFile> file(String name) {
        return files.stream().filter(f -> f.name().equals(name)).findFirst();
    }
}
