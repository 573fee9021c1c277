//! The pause image of awsvpc tasks, made on each host without any registry.
//!
//! ECS gives every awsvpc task a pause container that holds its network namespace; the task's
//! containers join it and reach each other on localhost. Here the pause program is a
//! 189-byte static x86-64 Linux executable (69 bytes of code) built in this file: it blocks SIGINT and SIGTERM,
//! waits for one of them, and exits 0 (so `docker stop` is immediate). It becomes a one-file
//! image through Docker's image import API (`POST /images/create?fromSrc=-`).

use anyhow::{Context as _, Result, bail};
use bollard::Docker;
use bollard::query_parameters::CreateImageOptionsBuilder;
use futures_util::StreamExt;

/// Versioned by content: a new program gets a new tag.
pub const IMAGE: &str = "ecsctl/pause:1";

/// rt_sigprocmask(SIG_BLOCK, {INT, TERM}); loop rt_sigtimedwait until a signal; exit_group(0).
/// Position-independent (the signal set is addressed relative to the instruction pointer).
const X86_64_CODE: [u8; 69] = [
    0x31, 0xff, // xor edi, edi               ; SIG_BLOCK
    0x48, 0x8d, 0x35, 0x34, 0x00, 0x00, 0x00, // lea rsi, [rip + set]
    0x31, 0xd2, // xor edx, edx
    0x41, 0xba, 0x08, 0x00, 0x00, 0x00, // mov r10d, 8
    0xb8, 0x0e, 0x00, 0x00, 0x00, // mov eax, 14 (rt_sigprocmask)
    0x0f, 0x05, // syscall
    0x48, 0x8d, 0x3d, 0x1e, 0x00, 0x00, 0x00, // wait: lea rdi, [rip + set]
    0x31, 0xf6, // xor esi, esi
    0x31, 0xd2, // xor edx, edx
    0x41, 0xba, 0x08, 0x00, 0x00, 0x00, // mov r10d, 8
    0xb8, 0x80, 0x00, 0x00, 0x00, // mov eax, 128 (rt_sigtimedwait)
    0x0f, 0x05, // syscall
    0x85, 0xc0, // test eax, eax
    0x78, 0xe4, // js wait                    ; interrupted: wait again
    0x31, 0xff, // xor edi, edi
    0xb8, 0xe7, 0x00, 0x00, 0x00, // mov eax, 231 (exit_group)
    0x0f, 0x05, // syscall
    0x02, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // set: SIGINT | SIGTERM
];

/// A minimal ELF64 executable: header, one loadable segment, the code.
pub fn x86_64_elf() -> Vec<u8> {
    const BASE: u64 = 0x40_0000;
    const HEADERS: u64 = 64 + 56;
    let size = HEADERS + X86_64_CODE.len() as u64;
    let mut elf = Vec::with_capacity(size as usize);
    // e_ident: magic, 64-bit, little-endian, version 1, System V ABI.
    elf.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    elf.extend_from_slice(&[0; 8]);
    elf.extend_from_slice(&2u16.to_le_bytes()); // e_type: executable
    elf.extend_from_slice(&0x3eu16.to_le_bytes()); // e_machine: x86-64
    elf.extend_from_slice(&1u32.to_le_bytes()); // e_version
    elf.extend_from_slice(&(BASE + HEADERS).to_le_bytes()); // e_entry
    elf.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    elf.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    elf.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    elf.extend_from_slice(&64u16.to_le_bytes()); // e_ehsize
    elf.extend_from_slice(&56u16.to_le_bytes()); // e_phentsize
    elf.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
    elf.extend_from_slice(&[0; 6]); // e_shentsize, e_shnum, e_shstrndx
    // Program header: PT_LOAD of the whole file, readable and executable.
    elf.extend_from_slice(&1u32.to_le_bytes()); // p_type: PT_LOAD
    elf.extend_from_slice(&5u32.to_le_bytes()); // p_flags: R + X
    elf.extend_from_slice(&0u64.to_le_bytes()); // p_offset
    elf.extend_from_slice(&BASE.to_le_bytes()); // p_vaddr
    elf.extend_from_slice(&BASE.to_le_bytes()); // p_paddr
    elf.extend_from_slice(&size.to_le_bytes()); // p_filesz
    elf.extend_from_slice(&size.to_le_bytes()); // p_memsz
    elf.extend_from_slice(&0x1000u64.to_le_bytes()); // p_align
    elf.extend_from_slice(&X86_64_CODE);
    elf
}

/// The image's root file system: `/pause`, mode 0755.
pub fn rootfs_tar(program: &[u8]) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(program.len() as u64);
    header.set_mode(0o755);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_cksum();
    builder
        .append_data(&mut header, "pause", program)
        .context("building the pause image")?;
    builder.into_inner().context("building the pause image")
}

/// Makes sure the host has the pause image; imports it when missing.
pub async fn ensure(docker: &Docker, architecture: &str) -> Result<()> {
    if docker.inspect_image(IMAGE).await.is_ok() {
        return Ok(());
    }
    if !matches!(architecture, "x86_64" | "amd64") {
        bail!(
            "awsvpc tasks need the pause image, which ecsctl builds for x86_64 only; this host is {architecture}"
        );
    }
    let tar = rootfs_tar(&x86_64_elf())?;
    let (repo, tag) = IMAGE.split_once(':').unwrap_or((IMAGE, "latest"));
    let options = CreateImageOptionsBuilder::default()
        .from_src("-")
        .repo(repo)
        .tag(tag)
        .changes(vec!["ENTRYPOINT [\"/pause\"]".to_string()])
        .build();
    let mut stream = docker.create_image(Some(options), Some(bollard::body_full(tar.into())), None);
    while let Some(progress) = stream.next().await {
        progress.context("importing the pause image")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_elf_is_well_formed() {
        let elf = x86_64_elf();
        assert_eq!(&elf[..4], b"\x7fELF");
        assert_eq!(elf.len(), 64 + 56 + 69);
        let entry = u64::from_le_bytes(elf[24..32].try_into().expect("8 bytes"));
        assert_eq!(entry, 0x40_0000 + 120);
    }

    /// Runs the program: it waits, and exits 0 on SIGTERM.
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    #[test]
    fn the_program_waits_for_sigterm_and_exits_cleanly() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pause");
        std::fs::write(&path, x86_64_elf()).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let mut child = std::process::Command::new(&path).spawn().expect("runs");
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(child.try_wait().expect("wait").is_none(), "still waiting");
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let status = child.wait().expect("exits");
        assert_eq!(status.code(), Some(0));
    }

    #[test]
    fn the_rootfs_holds_one_executable() {
        let tar = rootfs_tar(b"x").expect("tar");
        let mut archive = tar::Archive::new(tar.as_slice());
        let entries: Vec<(String, u32)> = archive
            .entries()
            .expect("entries")
            .map(|e| {
                let e = e.expect("entry");
                (
                    e.path().expect("path").display().to_string(),
                    e.header().mode().expect("mode"),
                )
            })
            .collect();
        assert_eq!(entries, [("pause".to_string(), 0o755)]);
    }
}
