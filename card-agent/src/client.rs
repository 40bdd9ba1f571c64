//! The agent's calls to the registry: the base URL, the user's API token, one HTTP agent.

use crate::cli::SourceArgs;
use crate::Class;

/// A registry and the token to call it with.
pub struct RegistryClient {
    agent: ureq::Agent,
    /// Base URL, without a trailing slash.
    pub server: String,
    token: String,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("RegistryClient")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// A response of the registry.
pub type Response = ureq::http::Response<ureq::Body>;

impl RegistryClient {
    /// The registry of `--server` with the token of `--token-file`; `None` without a server.
    ///
    /// # Errors
    /// A server without a token file, an unreadable token or CA file (class [`Class::Usage`]).
    pub fn from_source(source: &SourceArgs) -> anyhow::Result<Option<RegistryClient>> {
        let Some(server) = source.server.as_deref() else {
            return Ok(None);
        };
        let token_file = source.token_file.as_deref().ok_or_else(|| {
            Class::Usage.err("--server needs --token-file (or CARD_AGENT_TOKEN_FILE): an API token")
        })?;
        let token = std::fs::read_to_string(token_file)
            .map_err(|e| Class::Usage.err(format!("cannot read {}: {e}", token_file.display())))?;
        Ok(Some(RegistryClient {
            agent: crate::trust::http_agent(source.ca_cert.as_deref())?,
            server: server.trim_end_matches('/').to_string(),
            token: token.trim().to_string(),
        }))
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.server)
    }

    /// `GET /api/v1{path}`.
    ///
    /// # Errors
    /// The registry cannot be reached (HTTP error statuses are responses, not errors).
    pub fn get(&self, path: &str) -> Result<Response, ureq::Error> {
        self.agent
            .get(self.url(path))
            .header("Authorization", format!("Bearer {}", self.token))
            .call()
    }

    /// `POST /api/v1{path}` with a JSON body.
    ///
    /// # Errors
    /// The registry cannot be reached (HTTP error statuses are responses, not errors).
    pub fn post_json(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<Response, ureq::Error> {
        let text = serde_json::to_string(body).map_err(|e| {
            ureq::Error::Io(std::io::Error::other(format!("the request body: {e}")))
        })?;
        self.agent
            .post(self.url(path))
            .header("Authorization", format!("Bearer {}", self.token))
            .header("Content-Type", "application/json")
            .send(text)
    }
}
