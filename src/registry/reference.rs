//! Image references as the Docker CLI reads them: which registry an image lives on, and
//! whether its name pins content (a digest) or floats (`latest`).

/// Docker Hub, however a reference spells it.
pub const DOCKER_HUB: &str = "docker.io";

/// The address Docker's credential stores and `auths` use for Docker Hub.
pub const DOCKER_HUB_SERVER: &str = "https://index.docker.io/v1/";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageReference {
    /// `docker.io`, or the registry's `host[:port]`.
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageReference {
    /// The reference moves with every push: no digest, and no tag or `latest`.
    pub fn floats(&self) -> bool {
        self.digest.is_none() && self.tag.as_deref().is_none_or(|t| t == "latest")
    }

    /// The address credential helpers and `auths` know the registry by.
    pub fn server_address(&self) -> String {
        server_address(&self.registry)
    }
}

/// Reads a reference the way Docker does: the first path component is a registry when it
/// has a `.` or a `:` or is `localhost`; otherwise the image is on Docker Hub.
pub fn parse(image: &str) -> ImageReference {
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest.to_string())),
        None => (image, None),
    };
    let (registry, rest) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
            (normalize_registry(first), rest)
        }
        _ => (DOCKER_HUB.to_string(), name),
    };
    let (repository, tag) = match rest.rfind(':') {
        Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(rest[i + 1..].to_string())),
        _ => (rest, None),
    };
    let repository = if registry == DOCKER_HUB && !repository.contains('/') {
        format!("library/{repository}")
    } else {
        repository.to_string()
    };
    ImageReference {
        registry,
        repository,
        tag,
        digest,
    }
}

/// A registry as written in a reference or a Docker config key (`https://ghcr.io/v2/`,
/// `index.docker.io`), reduced to the host[:port] references use.
pub fn normalize_registry(text: &str) -> String {
    let text = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(text);
    let host = text.split('/').next().unwrap_or(text).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            DOCKER_HUB.to_string()
        }
        _ => host,
    }
}

pub fn server_address(registry: &str) -> String {
    if registry == DOCKER_HUB {
        DOCKER_HUB_SERVER.to_string()
    } else {
        registry.to_string()
    }
}

/// Registries whose images are commonly public: no credentials there is not worth a warning.
const PUBLIC_REGISTRIES: [&str; 8] = [
    DOCKER_HUB,
    "ghcr.io",
    "quay.io",
    "public.ecr.aws",
    "registry.k8s.io",
    "gcr.io",
    "mcr.microsoft.com",
    "registry.gitlab.com",
];

/// A registry where an anonymous pull is likely to be refused: ECR, or a company's own.
pub fn looks_private(registry: &str) -> bool {
    let host = registry.split(':').next().unwrap_or(registry);
    let loopback = host == "localhost" || host.starts_with("127.");
    !loopback && !PUBLIC_REGISTRIES.contains(&registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(image: &str) -> (String, String, Option<String>, Option<String>) {
        let r = parse(image);
        (r.registry, r.repository, r.tag, r.digest)
    }

    #[test]
    fn reads_references_as_docker_does() {
        let s = |x: &str| x.to_string();
        assert_eq!(
            parts("nginx"),
            (s("docker.io"), s("library/nginx"), None, None)
        );
        assert_eq!(
            parts("nginx:1.27"),
            (s("docker.io"), s("library/nginx"), Some(s("1.27")), None)
        );
        assert_eq!(
            parts("bitnami/redis:7"),
            (s("docker.io"), s("bitnami/redis"), Some(s("7")), None)
        );
        assert_eq!(
            parts("localhost:5000/app"),
            (s("localhost:5000"), s("app"), None, None)
        );
        assert_eq!(
            parts("localhost/app:2"),
            (s("localhost"), s("app"), Some(s("2")), None)
        );
        assert_eq!(
            parts("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:v3"),
            (
                s("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
                s("team/api"),
                Some(s("v3")),
                None
            )
        );
        assert_eq!(
            parts("10.250.1.1:5000/private/app@sha256:abc"),
            (
                s("10.250.1.1:5000"),
                s("private/app"),
                None,
                Some(s("sha256:abc"))
            )
        );
        assert_eq!(
            parts("index.docker.io/library/busybox:1"),
            (s("docker.io"), s("library/busybox"), Some(s("1")), None)
        );
    }

    #[test]
    fn floating_and_pinned_references() {
        assert!(parse("nginx").floats());
        assert!(parse("nginx:latest").floats());
        assert!(parse("ghcr.io/a/b:latest").floats());
        assert!(!parse("nginx:1.27").floats());
        assert!(!parse("nginx@sha256:abc").floats());
        assert!(!parse("nginx:latest@sha256:abc").floats());
    }

    #[test]
    fn config_keys_and_server_addresses() {
        assert_eq!(
            normalize_registry("https://index.docker.io/v1/"),
            "docker.io"
        );
        assert_eq!(normalize_registry("https://GHCR.io/v2/"), "ghcr.io");
        assert_eq!(normalize_registry("http://10.0.0.1:5000"), "10.0.0.1:5000");
        assert_eq!(parse("nginx").server_address(), DOCKER_HUB_SERVER);
        assert_eq!(parse("ghcr.io/a/b").server_address(), "ghcr.io");
    }

    #[test]
    fn which_registries_look_private() {
        assert!(looks_private(
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
        ));
        assert!(looks_private("registry.example.com:5000"));
        assert!(looks_private("10.250.1.1:5000"));
        assert!(!looks_private("docker.io"));
        assert!(!looks_private("ghcr.io"));
        assert!(!looks_private("localhost:5000"));
        assert!(!looks_private("127.0.0.1:5000"));
    }
}
