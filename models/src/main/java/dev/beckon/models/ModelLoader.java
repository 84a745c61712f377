package dev.beckon.models;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads the three model files into a validated {@link SystemModel}. Every problem in every file is
 * reported at once, each with its file, line and column; nothing is half-accepted.
 *
 * <p>The work is done in stages, each by its own class: {@link ServicesReader},
 * {@link InfrastructureReader} and {@link DistributionReader} read one file each into a
 * {@link ModelDraft}; {@link ReferenceChecks} checks what the files say about each other; and
 * {@link InstanceResolver} resolves every service on every target it is placed on.
 */
public final class ModelLoader {
    /** The activation modules that come with beckon; any other type names an external module. */
    public static final Set<String> BUILT_IN_TYPES = Set.of("systemd-unit", "inetd", "xinetd");

    private ModelLoader() {}

    /** Loads {@code services.toml}, {@code infrastructure.toml} and {@code distribution.toml} from a directory. */
    public static SystemModel load(Path directory) throws InvalidModelException {
        return load(ModelFiles.in(directory));
    }

    /**
     * Loads a model from its three files.
     *
     * @throws InvalidModelException carrying every error found, in file order
     */
    public static SystemModel load(ModelFiles files) throws InvalidModelException {
        return load(files, PortHints.NONE);
    }

    /**
     * Loads a model whose {@code "auto"} ports keep the numbers they had where they are still free:
     * {@code hints} are the ports of the last deployment.
     *
     * @throws InvalidModelException carrying every error found, in file order
     */
    public static SystemModel load(ModelFiles files, PortHints hints) throws InvalidModelException {
        ModelDraft draft = new ModelDraft(files, hints);
        ValueReader values = new ValueReader(draft.diagnostics);
        Optional<TomlFile> servicesFile = TomlFile.read(files.services(), draft.diagnostics);
        Optional<TomlFile> infrastructureFile = TomlFile.read(files.infrastructure(), draft.diagnostics);
        Optional<TomlFile> distributionFile = TomlFile.read(files.distribution(), draft.diagnostics);
        servicesFile.ifPresent(new ServicesReader(draft, values)::read);
        infrastructureFile.ifPresent(new InfrastructureReader(draft, values)::read);
        distributionFile.ifPresent(new DistributionReader(draft, values)::read);
        draft.servicesKnown = servicesFile.isPresent();
        draft.targetsKnown = infrastructureFile.isPresent();
        draft.distributionKnown = distributionFile.isPresent();
        return crossCheckAndResolve(draft);
    }

    private static SystemModel crossCheckAndResolve(ModelDraft draft) throws InvalidModelException {
        ReferenceChecks checks = new ReferenceChecks(draft);
        checks.checkDistribution();
        checks.checkDependencies();
        List<String> order = checks.activationOrder();
        checks.checkTemplates();
        if (draft.diagnostics.hasErrors()) {
            // Resolving ports and addresses on a broken model would only repeat what is already wrong.
            throw new InvalidModelException(draft.diagnostics.sorted());
        }
        List<InstanceSpec> instances = new InstanceResolver(draft).resolveInstances(order);
        if (draft.diagnostics.hasErrors()) {
            throw new InvalidModelException(draft.diagnostics.sorted());
        }
        return new SystemModel(draft.files, new TreeMap<>(draft.services), new TreeMap<>(draft.targets), draft.distribution,
                order, instances, draft.rollout);
    }
}
