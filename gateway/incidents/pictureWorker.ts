import { serveJobs } from "../../common/idleWorker.js";
import { drawPicture } from "./pictures.js";

serveJobs(drawPicture);
