package dev.beckon.models;

import dev.beckon.models.TomlFile.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the readers of the three files have found so far, and where each thing was written, for the
 * checks across files and the resolution per target that come after them.
 */
final class ModelDraft {
    final Diagnostics diagnostics = new Diagnostics();
    final ModelFiles files;
    final PortHints hints;
    final Map<String, Service> services = new TreeMap<>();
    final Map<String, Target> targets = new TreeMap<>();
    final SortedMap<String, List<String>> distribution = new TreeMap<>();
    final Map<String, Node> distributionNodes = new TreeMap<>();
    /** Where each thing a later check may complain about was written, by service and then name. */
    final Map<String, Map<String, SourceLocation>> placementLocations = new TreeMap<>();
    final Map<String, Map<String, SourceLocation>> dependencyLocations = new TreeMap<>();
    final Map<String, Map<String, SourceLocation>> portLocations = new TreeMap<>();
    final Map<String, List<SourceLocation>> listenLocations = new TreeMap<>();
    final Map<String, SourceLocation> execLocations = new TreeMap<>();
    final Map<String, Map<String, SourceLocation>> environmentLocations = new TreeMap<>();
    /** Every template with where it was written, checked once all files are read. */
    final List<TemplateUse> templateUses = new ArrayList<>();
    /**
     * Every name declared, valid or not: a reference to a service whose definition has errors is not
     * also reported as a reference to an unknown service.
     */
    final Set<String> declaredServices = new TreeSet<>();
    final Set<String> declaredTargets = new TreeSet<>();
    /** Whether the file could be read at all; if not, references into it are not checked. */
    boolean servicesKnown;
    boolean targetsKnown;
    boolean distributionKnown;
    /** The infrastructure file's [rollout]; none: every target at once. */
    Rollout rollout = Rollout.NONE;

    /** A template of a service's exec, environment or listen, with where it was written. */
    record TemplateUse(String service, Template template, SourceLocation where, boolean isListen) {}

    ModelDraft(ModelFiles files, PortHints hints) {
        this.files = files;
        this.hints = hints;
    }
}
