//! The ECS API front end (`ecsctl serve`): the AWS JSON 1.1 protocol as Amazon ECS speaks it,
//! for the aws CLI, the SDKs and Terraform. Like the CLI it parses, calls [`crate::ops`] and
//! renders; it never writes state itself.
//!
//! | module | owns |
//! |---|---|
//! | [`server`] | HTTP (hyper): `POST /`, body limit, authentication, `X-Amz-Target`, responses |
//! | [`sigv4`] | AWS Signature Version 4 verification; the credentials file |
//! | [`operations`] | one function per ECS operation: request → ops → response shape |
//! | [`reply`] | an answer's body: a `Value` (writes) or JSON serialized from typed shapes (reads) |
//! | [`shapes`] | ECS response shapes (Cluster, TaskDefinition, Service, Task, ContainerInstance) |
//! | [`error`] | ECS exceptions; the one mapping of [`crate::ops::OpsError`] to them |
//! | [`arn`] | long-format ARNs: made from the request's region, parsed where names are taken |
//! | [`page`] | `maxResults`/`nextToken` |

pub mod arn;
pub mod error;
pub mod operations;
pub mod page;
pub mod reply;
pub mod server;
pub mod shapes;
pub mod sigv4;
