package dev.beckon.planner.target;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.SafeDirectories;
import dev.beckon.activation.ServiceStateDirectory;
import dev.beckon.planner.knobs.KnobRegion;
import dev.beckon.planner.manifest.ManifestEntry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** The knob region of an instance on this machine, for a target session: made at activation, read and set live. */
final class KnobRegions {
    private KnobRegions() {}

    static Path of(ManifestEntry entry, String profile) {
        return ServiceStateDirectory.knobs(Path.of(entry.stateDirectory()), profile, entry.service());
    }

    /** Before activation: the region exists with the entry's layout, so the service finds it when it starts. */
    static void prepare(ManifestEntry entry, String profile) throws ActivationException {
        if (entry.knobs().isEmpty()) {
            return;
        }
        try {
            KnobRegion.prepare(of(entry, profile), entry.knobs());
        } catch (IOException e) {
            throw new ActivationException(entry.id(), "cannot make its knob region " + of(entry, profile) + ": "
                    + SafeDirectories.describe(e), e);
        }
    }

    static Map<String, String> read(ManifestEntry entry, String profile) throws ActivationException {
        try {
            return KnobRegion.read(of(entry, profile), entry.knobs());
        } catch (IOException e) {
            throw new ActivationException(entry.id(), "cannot read its knobs: " + e.getMessage(), e);
        }
    }

    static void set(ManifestEntry entry, String profile, String name, String value) throws ActivationException {
        try {
            KnobRegion.set(of(entry, profile), entry.knobs(), name, value);
        } catch (IOException e) {
            throw new ActivationException(entry.id(), "cannot set knob " + name + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ActivationException(entry.id(), e.getMessage(), e);
        }
    }
}
